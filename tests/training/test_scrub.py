"""The PII scrubber on a corpus of realistic Chinese and English customer-service lines: no PII token
survives, the same value gets the same placeholder throughout, and ordinary words are not mangled."""

import re

import pytest

from training.scrub import Scrubber

# (line, the PII it holds, ordinary words that must survive)
CORPUS = [
    ("我的手机号是13812345678，请尽快回电", ["13812345678"], ["请尽快回电", "手机号"]),
    ("电话：138 1234 5678，白天都在", ["138 1234 5678"], ["白天都在"]),
    ("call me at +86 139-8765-4321 after 6pm", ["139-8765-4321"], ["call me at", "after 6pm"]),
    ("我老婆的电话 15900001111 也可以打", ["15900001111"], ["我老婆的电话", "也可以打"]),
    ("座机号码 021-64581234，上班时间找我", ["021-64581234"], ["座机号码", "上班时间找我"]),
    ("Our office landline is 0571-87654321 ext. 808", ["0571-87654321"], ["Our office landline is"]),
    ("打这个虚拟号 17012345678-1234 联系我", ["17012345678-1234", "1234"], ["虚拟号", "联系我"]),
    ("买家隐私号 13012341234转5678，转了才能通", ["13012341234转5678"], ["买家隐私号", "转了才能通"]),
    ("拨打400-820-1234转567找售后没人接", ["400-820-1234转567"], ["找售后没人接"]),
    ("订单号：4001234567890123，到现在还没发货", ["4001234567890123"], ["订单号", "到现在还没发货"]),
    ("订单 CD2026030105 的晾衣架坏了", ["CD2026030105"], ["的晾衣架坏了"]),
    ("My order number is 2026111712345678 and it never arrived", ["2026111712345678"],
     ["My order number is", "it never arrived"]),
    ("order no. SR2026031501 was charged twice", ["SR2026031501"], ["was charged twice"]),
    ("运单号SF1400000001717一直没更新", ["SF1400000001717"], ["一直没更新"]),
    ("快递单号：YT7512345678901，麻烦查一下", ["YT7512345678901"], ["麻烦查一下"]),
    ("中通单号 75312345678901 显示已签收", ["75312345678901"], ["显示已签收"]),
    ("The waybill JT0012345678901 shows delivered but I have nothing", ["JT0012345678901"],
     ["shows delivered", "I have nothing"]),
    ("tracking number SF1234567890 stuck in Shanghai", ["SF1234567890"], ["stuck in Shanghai"]),
    ("身份证号 330106199001011234 用来开发票", ["330106199001011234"], ["用来开发票"]),
    ("ID card 11010519491231002X please verify", ["11010519491231002X"], ["please verify"]),
    ("身份证号码：110105491231002，老身份证", ["110105491231002"], ["老身份证"]),
    ("邮箱 wang.lei@example.com 发发票", ["wang.lei@example.com"], ["发发票"]),
    ("send the invoice to lily_88@qq.com please", ["lily_88@qq.com"], ["send the invoice to", "please"]),
    ("王先生您好，师傅明天上门", ["王先生"], ["您好", "师傅明天上门"]),
    ("李女士说她不在家", ["李女士"], ["说她不在家"]),
    ("张小姐已经确认收货了", ["张小姐"], ["已经确认收货了"]),
    ("陈阿姨要求师傅下午来", ["陈阿姨"], ["要求师傅下午来"]),
    ("Mr. Smith called twice about the refund", ["Mr. Smith"], ["called twice about the refund"]),
    ("Ms Chen is angry about the delay", ["Ms Chen"], ["is angry about the delay"]),
    ("地址：浙江省杭州市西湖区文三路100号3单元502", ["浙江省杭州市西湖区文三路100号3单元502"], ["地址"]),
    ("送到上海市浦东新区张江路200弄5号1502室", ["上海市浦东新区张江路200弄5号1502室"], ["送到"]),
    ("我家在北京市朝阳区建国路88号，下午有人", ["北京市朝阳区建国路88号"], ["我家在", "下午有人"]),
    ("收货地址是江苏省南京市鼓楼区中山路18号903", ["江苏省南京市鼓楼区中山路18号903"], ["收货地址"]),
    ("住在广东省深圳市南山区科技园8栋", ["广东省深圳市南山区科技园8栋"], ["住在"]),
    ("阳光花园3栋2单元1201，电梯坏了", ["阳光花园3栋2单元1201"], ["电梯坏了"]),
    ("Please deliver to Room 1502, 88 Zuchongzhi Road, Pudong District", ["88 Zuchongzhi Road"],
     ["Please deliver to"]),
    ("寄到苏州市工业园区星湖街3号701", ["苏州市工业园区星湖街3号701"], ["寄到"]),
    ("宁波市鄞州区天童路66号1802的客户又来电了", ["宁波市鄞州区天童路66号1802"], ["的客户又来电了"]),
    ("买家晴天小雨说快递三天没动", ["晴天小雨"], ["说快递三天没动"]),
    ("客服张晓已经帮你登记了", ["张晓"], ["已经帮你登记了"]),
    ("Zhang Xiao from after-sales will call you", ["Zhang Xiao"], ["from after-sales will call you"]),
    ("电话13812345678打不通，换13912345678试试", ["13812345678", "13912345678"], ["打不通", "试试"]),
    ("订单号4001234567890123，电话13812345678，地址杭州市西湖区文三路100号",
     ["4001234567890123", "13812345678", "杭州市西湖区文三路100号"], ["订单号", "电话", "地址"]),
    ("王先生的电话是13600001111，邮箱wang@163.com", ["王先生", "13600001111", "wang@163.com"], ["的电话是", "邮箱"]),
    ("退款金额是299元，三天内到账", [], ["退款金额是299元", "三天内到账"]),
    ("晾衣架升降很慢，是不是电机有问题", [], ["晾衣架升降很慢", "是不是电机有问题"]),
    ("电池续航不到标称一半，才骑了20公里", [], ["电池续航不到标称一半", "才骑了20公里"]),
    ("The rack was delivered on 2026-11-20 at 14:30", [], ["The rack was delivered on 2026-11-20 at 14:30"]),
    ("我要投诉，12315已经打过了", [], ["我要投诉，12315已经打过了"]),
    ("一路上包装都被压坏了，马路边就放着", [], ["一路上包装都被压坏了", "马路边就放着"]),
    ("师傅说下周三上门，大概两个小时", [], ["师傅说下周三上门", "大概两个小时"]),
    ("Battery swelled after 30 days of use", [], ["Battery swelled after 30 days of use"]),
    ("这款晾衣架适合2.4米的阳台吗", [], ["这款晾衣架适合2.4米的阳台吗"]),
    ("先生，这个问题我们会在24小时内处理", [], ["先生，这个问题我们会在24小时内处理"]),
    ("新先生系列产品已经下架", [], ["新先生系列产品已经下架"]),
    ("型号RACK-X1的遥控器没反应", [], ["型号RACK-X1的遥控器没反应"]),
    ("价格从1299降到999，差价能退吗", [], ["价格从1299降到999", "差价能退吗"]),
]

KNOWN = [("BUYER", "晴天小雨"), ("STAFF", "张晓"), ("STAFF", "Zhang Xiao")]


def test_the_corpus_is_large_enough():
    assert len(CORPUS) >= 50
    assert sum(1 for _line, pii, _words in CORPUS if pii) >= 40


@pytest.mark.parametrize(("line", "pii", "words"), CORPUS, ids=[str(n) for n in range(len(CORPUS))])
def test_no_pii_survives_and_ordinary_words_do(line, pii, words):
    result = Scrubber(KNOWN).scrub(line)
    for token in pii:
        assert token not in result.text, (token, result.text)
        digits = re.sub(r"\D", "", token)
        if len(digits) >= 7:
            assert digits not in re.sub(r"\D", "", result.text), (token, result.text)
    for word in words:
        assert word in result.text, (word, result.text)
    if not pii:
        assert result.text == line


def test_the_same_value_gets_the_same_placeholder_throughout_a_case():
    scrubber = Scrubber([("BUYER", "晴天小雨"), ("PHONE", "13812345678")])
    first = scrubber.scrub("我电话13812345678，订单4001234567890123")
    second = scrubber.scrub("再说一遍：138 1234 5678，还有 +86 138-1234-5678，订单号：4001234567890123")
    third = scrubber.scrub("晴天小雨换了号码13900002222")
    assert first.text == "我电话[PHONE-1]，订单[ORDER-1]"
    assert second.text == "再说一遍：[PHONE-1]，还有 [PHONE-1]，订单号：[ORDER-1]"
    assert third.text == "[BUYER]换了号码[PHONE-2]"


def test_replacements_carry_their_spans_for_the_preview():
    result = Scrubber().scrub("王先生电话13812345678")
    assert [(r.original, r.placeholder) for r in result.replacements] == [("王先生", "[NAME-1]"),
                                                                        ("13812345678", "[PHONE-1]")]
    for r in result.replacements:
        assert result.original[r.start:r.end] == r.original
        assert result.text[r.new_start:r.new_end] == r.placeholder
